"""Polynomials over KoalaBear: radix-2 NTT, coset low-degree extension, evaluation."""
