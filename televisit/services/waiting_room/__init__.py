"""The waiting room: state, access, callers, presence, processes, sweeps, the video visit."""
