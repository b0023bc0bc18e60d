"""Topic management: the workspace's own topics, discovery's proposals, relabelling."""
