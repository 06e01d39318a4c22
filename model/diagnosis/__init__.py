"""Offline batch diagnosis of patient-record files (issue 11): readers, and (to come) finding extraction,
differential scoring and the resumable runner."""
