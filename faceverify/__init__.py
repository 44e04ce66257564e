"""faceverify: real-time webcam face verification with a Siamese network."""
import os

# TensorFlow's C++ start-up chatter would bury the one-line messages users need; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
