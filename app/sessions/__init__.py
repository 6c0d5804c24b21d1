"""The sessions page: see every live session and end any of them."""
