"""SMS through an HTTP gateway: a configurable generic one, and SMS.ru by its documented API."""

from dozvon.channels.sms.gateway import PhoneAddressing, SmsGateway, SmsOutbound, sms_text
from dozvon.channels.sms.http import HttpGateway
from dozvon.channels.sms.smsru import SmsRuGateway

__all__ = [
    "HttpGateway",
    "PhoneAddressing",
    "SmsGateway",
    "SmsOutbound",
    "SmsRuGateway",
    "sms_text",
]
