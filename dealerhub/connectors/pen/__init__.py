"""PEN (Provider Exchange Network): dealer registration with the F&I product exchange."""
