"""kb's web app: ``streamlit run app.py`` (``kb serve`` runs the same page). The page is kb/app/main.py."""

from kb.app.main import main

main()
