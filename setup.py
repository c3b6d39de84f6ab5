"""Build hook for the optional C accelerator of the HJ 212 CRC (pure Python is the fallback)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ecohub.protocols.hj212._crc_c",
            sources=["src/ecohub/protocols/hj212/_crc_c.c"],
            optional=True,
        )
    ]
)
