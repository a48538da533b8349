"""Wallets: keys, sync (trial decryption, incremental witnesses), coin selection, payments."""
