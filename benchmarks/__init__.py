"""``make bench``: devportal against bare baselines, measured side by side in one run."""
