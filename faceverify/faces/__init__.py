"""From an image to a face crop: decode, detect, find the eyes, align, crop to 100x100 RGB in [0, 1]; and how a
camera renders faces (its look: estimated, transferred, simulated).
May import: faceverify.files, faceverify.errors."""
