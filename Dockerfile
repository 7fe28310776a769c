# The web app image used by docker-compose.yml: the same commands CI exercises, served by gunicorn.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN EURASIA_ENV=production SECRET_KEY=only-for-collectstatic DATABASE_URL=postgres://unused@localhost/unused \
    python manage.py collectstatic --noinput
EXPOSE 8000
# On every start: migrate, seed an empty database (a database with records is left as it is), serve.
# exec: gunicorn, not the shell, receives the stop signal. PORT is for running this line outside the image.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py seed && exec gunicorn eurasia.wsgi --bind 0.0.0.0:${PORT:-8000} --workers 2"]
