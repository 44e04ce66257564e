"""faceverify: real-time webcam face verification with a Siamese network."""

__version__ = "0.1.0"
