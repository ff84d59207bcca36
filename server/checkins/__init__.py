"""Check-ins: signed adverse-event intake, opt-in staff links, private check-in offers, team
load signals and the institution's aggregate-only view (docs/checkins.md)."""
