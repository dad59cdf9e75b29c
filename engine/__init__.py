"""Engine: artefact documents, the stage pipeline, the command line and batch runs."""
