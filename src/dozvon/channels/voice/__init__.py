"""The voice channel: a robot call over SIP (sip + media + speech + dialog)."""
