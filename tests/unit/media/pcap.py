"""A minimal reader of classic pcap files (Ethernet, IPv4, UDP), enough for sipp's captures.

Test-only: it reads the fixtures sipp ships, it is not a general capture parser.
"""

import struct
from dataclasses import dataclass
from pathlib import Path

_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
_MAGIC_LE_MICROS = 0xA1B2C3D4
_ETHERTYPE_IPV4 = 0x0800
_ETHERTYPE_VLAN = 0x8100
_UDP = 17


@dataclass(frozen=True)
class UdpDatagram:
    time: float
    source_port: int
    destination_port: int
    payload: bytes


def read_udp(path: Path) -> list[UdpDatagram]:
    data = path.read_bytes()
    magic, *_ = _GLOBAL.unpack_from(data)
    if magic != _MAGIC_LE_MICROS:
        raise ValueError(f"{path}: not a little-endian microsecond pcap (magic {magic:#x})")
    offset = _GLOBAL.size
    datagrams = []
    while offset + _RECORD.size <= len(data):
        seconds, micros, captured, _ = _RECORD.unpack_from(data, offset)
        offset += _RECORD.size
        frame = data[offset : offset + captured]
        offset += captured
        datagram = _udp_in_ethernet(frame, seconds + micros / 1e6)
        if datagram is not None:
            datagrams.append(datagram)
    return datagrams


def _udp_in_ethernet(frame: bytes, time: float) -> UdpDatagram | None:
    offset = 12
    (ethertype,) = struct.unpack_from("!H", frame, offset)
    if ethertype == _ETHERTYPE_VLAN:
        offset += 4
        (ethertype,) = struct.unpack_from("!H", frame, offset)
    offset += 2
    if ethertype != _ETHERTYPE_IPV4 or frame[offset + 9] != _UDP:
        return None
    offset += (frame[offset] & 0x0F) * 4
    source, destination, length, _ = struct.unpack_from("!HHHH", frame, offset)
    return UdpDatagram(time, source, destination, frame[offset + 8 : offset + length])
