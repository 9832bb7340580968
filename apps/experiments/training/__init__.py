"""Training jobs: scikit-learn models trained on a catalog dataset version, recorded as runs.

Modules, from pure to wired:
- `estimators`: the allow-list of estimators and their hyper-parameters (types, ranges, defaults);
- `spec`: the training spec (what to train on which data), validated and JSON-serialisable;
- `data`: from a DataFrame to checked features and target (column kinds, task, enough rows/classes);
- `pipeline`: preprocessing (ColumnTransformer), search, hold-out or k-fold validation, final fit;
- `evaluation`: metrics, confusion matrix, residuals, feature importances;
- `plots`: plotly figures and their CSV tables;
- `persistence`: skops model files in MLflow's sklearn layout, and `model_load_trusted`;
- `reproducibility`: environment, code version, comparison of a reproduction's metrics;
- `services` / `selectors` / `jobs`: starting, running and reproducing training as jobs and runs;
- `forms`, `views`, `urls`, `api`: the "Train a model" pages and `/api/v1/training-jobs/`.
"""
