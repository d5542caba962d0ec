"""What ran when: the timeline's model (no Qt: sections, lanes, spans, queue, lag, fed by LiveFrames), the view
that observes it (sections, bar and lag items, the time cursor), replay, and the metrics table."""
