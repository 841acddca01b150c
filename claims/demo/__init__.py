"""The demo story's data files and their loaders."""
