"""Rooms: two members under per-room pseudonyms, and each member's prekeys."""
