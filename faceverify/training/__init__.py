"""Training the Siamese network: pairs, augmentation, the trainer, checkpoints, calibration, readiness.
May import: faceverify.model, faceverify.verification, faceverify.home, faceverify.faces, faceverify.files."""
