print("dip: not yet")
