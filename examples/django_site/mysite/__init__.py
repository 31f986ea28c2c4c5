"""A Django project that serves complaintlog's API beside its own views."""
