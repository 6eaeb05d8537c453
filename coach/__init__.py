"""coach: a camera-based fitness coach that counts repetitions with MoveNet."""
