"""Page views, split by who uses them: public.py, student.py, educator.py."""
