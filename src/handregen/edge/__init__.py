"""What every staff page shares, below the apps' views: the staff door (`staff_page`), the rules every form
applies (`CheckedForm`) and the conflict display of a stale save. It imports no app, so apps' views can use it
and the `web` app's pages (home, episode) can use the apps without a cycle."""
