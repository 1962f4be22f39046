"""devportal: the back end of an API developer portal."""
