"""What a serving process starts and stops beside the app: metrics, and (after the layout move) workers, lease, jobs."""
