"""The Training panel's core: the command lines it runs and the run folder it reads."""
