from televisit import create_app

app = create_app()
