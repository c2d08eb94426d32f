"""pdacmine: mine the literature on metastasis of pancreatic ductal adenocarcinoma."""

__version__ = "0.1.0"
