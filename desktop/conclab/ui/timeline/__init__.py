"""What ran when: the timeline, its sections and bar items, the lag lane, replay and the metrics table."""
