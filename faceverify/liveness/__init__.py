"""The head-turn liveness challenge and the frozen-feed check, on a live feed (landmarks only, no model).
May import: faceverify.capture, faceverify.faces, faceverify.files, faceverify.errors."""
