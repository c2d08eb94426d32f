"""Build hook for the optional C extension; all metadata is in setup.cfg.

``pdacmine.miner._cfields`` (Cython, over lxml's C API) reads author, MeSH and abstract fields
about twice as fast as the pure-Python readers. It is optional: without a C compiler the build
skips it and pdacmine uses the Python readers, which give the same results.
"""

from setuptools import Extension, setup


def _extensions() -> list[Extension]:
    try:
        import lxml
        from Cython.Build import cythonize
    except ImportError:  # building without Cython or lxml: pure Python
        return []
    ext = Extension(
        "pdacmine.miner._cfields",
        ["pdacmine/miner/_cfields.pyx"],
        include_dirs=lxml.get_include(),
        optional=True,
    )
    return cythonize([ext], language_level=3, quiet=True)


setup(ext_modules=_extensions())
