"""reference/learners"""
