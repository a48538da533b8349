"""KoalaBear field, its quartic extension, and vector kernels."""
