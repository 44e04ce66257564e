"""The seed's Siamese network: its definition, precision, the shipped generic model, the embedding scorer.
May import: faceverify.home, faceverify.faces, faceverify.files, faceverify.errors. TensorFlow lives here."""
