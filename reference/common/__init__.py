"""reference/common"""
