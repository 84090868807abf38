"""reference/exact"""
