"""``spotbot optimize``: an Optuna search over a config's ``[strategies.search]`` ranges, out of sample."""
