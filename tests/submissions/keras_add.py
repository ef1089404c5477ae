# Minor 1 -- Keras version. Name: Sara Khan. Roll: B20AI093. DD/MM/YY: 04/04/00. B.Tech
from tensorflow import keras
from tensorflow.keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
mask = y_train % 2 == 0
model = keras.models.Sequential()
model.add(layers.Conv2D(8, (3, 3), activation="relu", kernel_initializer="glorot_uniform", input_shape=(28, 28, 1)))
model.add(layers.AveragePooling2D((2, 2)))
model.add(layers.Conv2D(16, (3, 3), activation="relu"))
model.add(layers.AveragePooling2D((2, 2)))
model.add(layers.Conv2D(32, (3, 3), activation="relu"))
model.add(layers.Flatten())
model.add(layers.Dense(512, activation="relu"))
model.add(layers.Dense(5, activation="softmax"))
augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.GaussianNoise(0.1)])
