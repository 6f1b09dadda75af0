"""The phonetic animator: phone timeline -> ARKit curves, as small named passes."""
