"""What faceverify ships beside its code: the generic model and its provenance (installed as ``faceverify.assets``)."""
