"""Files and settings: the File menu, model watching, settings kept between runs."""
