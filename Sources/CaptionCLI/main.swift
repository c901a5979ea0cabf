print("caption")
