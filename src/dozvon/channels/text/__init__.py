"""What SMS, e-mail and Telegram share: one dialog `Conversation` over written messages, the
inbox replies arrive in, and the channel that runs a scenario over them."""

from dozvon.channels.text.channel import Addressing, TextChannel, extra_field
from dozvon.channels.text.conversation import DeliveryFailed, Message, Outbound, TextConversation
from dozvon.channels.text.inbox import ReplyInbox

__all__ = [
    "Addressing",
    "DeliveryFailed",
    "Message",
    "Outbound",
    "ReplyInbox",
    "TextChannel",
    "TextConversation",
    "extra_field",
]
