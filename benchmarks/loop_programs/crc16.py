"""CRC-16/CCITT-FALSE of a byte array: a loop over the bytes, an ``if`` on the top bit."""
import numpy as np

SIZES = {"test": {"n": 16}, "bench": {"n": 4096}}


def init(rng, n):
    return (rng.integers(0, 256, n).astype(np.uint8),)


def kernel(data):
    crc = 0xFFFF
    for b in data:
        crc ^= int(b) << 8
        for _ in range(8):
            if crc & 0x8000:
                crc = ((crc << 1) ^ 0x1021) & 0xFFFF
            else:
                crc = (crc << 1) & 0xFFFF
    return crc
