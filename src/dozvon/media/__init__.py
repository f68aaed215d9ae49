"""RTP media for Dozvon: G.711, RTP, DTMF (RFC 4733 and in-band), one shared packet clock.

Knows nothing of SIP or clinics: the SIP layer opens an `RtpSession` from a `MediaEngine`,
points it at the address from SDP, and plays, records, listens and collects digits through it.
"""

from dozvon.media.engine import MediaEngine
from dozvon.media.g711 import Codec
from dozvon.media.session import DtmfEvent, PlayHandle, RtpSession, SessionStats

__all__ = ["Codec", "DtmfEvent", "MediaEngine", "PlayHandle", "RtpSession", "SessionStats"]
