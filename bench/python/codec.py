"""Encode and decode timings of the Python OSC libraries osckit replaces.

Same message as the Go benchmarks of this module: /synth/1/freq with int32
440, float32 0.5, "hello" and a 16-byte blob (60 bytes). Encode builds and
serialises it; decode parses it and reads every argument (oscpy: the
message without its blob, see bench_oscpy). Each library that
is not installed is reported and skipped.

    python3 -m venv osc-venv
    osc-venv/bin/pip install python-osc==1.9.3 oscpy==0.6.0
    osc-venv/bin/python bench/python/codec.py
"""

import struct
import timeit

ADDR = "/synth/1/freq"
BLOB = b"0123456789abcdef"
WANT = (
    b"/synth/1/freq\x00\x00\x00,ifsb\x00\x00\x00"
    + struct.pack(">if", 440, 0.5)
    + b"hello\x00\x00\x00"
    + struct.pack(">i", len(BLOB))
    + BLOB
)


def report(name, what, fn):
    n, t = timeit.Timer(fn).autorange()
    best = min(timeit.Timer(fn).repeat(repeat=5, number=n)) / n
    print(f"{name:10s} {what:7s} {best * 1e9:10.0f} ns/op")


def bench_pythonosc():
    from pythonosc.osc_message import OscMessage
    from pythonosc.osc_message_builder import OscMessageBuilder

    def encode():
        b = OscMessageBuilder(address=ADDR)
        b.add_arg(440, "i")
        b.add_arg(0.5, "f")
        b.add_arg("hello", "s")
        b.add_arg(BLOB, "b")
        return b.build().dgram

    pkt = encode()

    def decode():
        s = 0
        for v in OscMessage(pkt).params:
            s += len(v) if isinstance(v, (bytes, str)) else int(v)
        return s

    assert decode() == 461, decode()
    report("python-osc", "encode", encode)
    report("python-osc", "decode", decode)
    return pkt


def bench_oscpy():
    from oscpy.parser import format_message, read_message

    addr = ADDR.encode()

    # oscpy 0.6.0, the last release, can neither write a blob (its
    # bytearray writer packs the bytes with a struct format of signed
    # chars) nor read one (it unpacks 8 bytes per blob byte), so it runs on
    # the message without its blob (44 bytes): a lower bound on its cost.
    def encode():
        return format_message(addr, [440, 0.5, b"hello"])[0]

    pkt = encode()

    def decode():
        s = 0
        for v in read_message(pkt)[2]:
            s += len(v) if isinstance(v, (bytes, bytearray, str)) else int(v)
        return s

    assert decode() == 445, decode()
    report("oscpy", "encode3", encode)
    report("oscpy", "decode3", decode)
    return None


if __name__ == "__main__":
    for name, fn in (("python-osc", bench_pythonosc), ("oscpy", bench_oscpy)):
        try:
            pkt = fn()
        except ImportError as e:
            print(f"{name:10s} not installed ({e})")
            continue
        if pkt is not None and bytes(pkt) != WANT:
            print(f"{name:10s} encodes differently: {bytes(pkt).hex()}")
