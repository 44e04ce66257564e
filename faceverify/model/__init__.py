"""The seed's Siamese network: its definition, precision, the shipped generic model, the embedding scorer, and the
LiteRT export and runtime that decide without it (TensorFlow only trains and exports a ``.keras``).
May import: faceverify.home, faceverify.faces, faceverify.files, faceverify.errors."""
