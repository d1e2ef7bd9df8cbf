"The package version, in a module without imports (read by setuptools and by `save_pretrained`)."
__version__ = "0.1.0"
