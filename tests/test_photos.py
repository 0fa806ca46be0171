"""Users' photos: which files an argument names, and how a photo becomes a Leiden-like picture."""
import numpy as np
from PIL import Image

from timeread_jax import photos
from timeread_jax.errors import DataError


def test_a_photo_is_cropped_to_its_centre_square():
  pixels = np.full((40, 60), 100, np.uint8)
  pixels[:, 10:50] = np.linspace(50, 150, 40).astype(np.uint8)[:, None]  # the centre square is a vertical ramp
  picture = photos._prepare(pixels, 'ramp', 20)
  assert picture.shape == (20, 20) and picture.min() >= 50 and picture.max() <= 150  # a reader stretches it
  assert np.all(np.diff(picture[:, 10].astype(int)) >= 0)  # still the ramp, from top to bottom


def test_arguments_expand_to_files_folders_and_npy_images(tmp_path):
  (tmp_path / 'album').mkdir()
  for name in ('b.PNG', 'a.jpg', 'notes.txt'):
    (tmp_path / 'album' / name).write_bytes(b'x')
  np.save(tmp_path / 'two.npy', np.zeros((2, 40, 40), np.uint8))
  (tmp_path / 'empty').mkdir()
  expanded = photos.expand([str(tmp_path / 'album'), str(tmp_path / 'two.npy'), str(tmp_path / 'empty'), 'x.png'])
  assert expanded[:4] == [str(tmp_path / 'album' / 'a.jpg'), str(tmp_path / 'album' / 'b.PNG'),
                          f'{tmp_path / "two.npy"}[0]', f'{tmp_path / "two.npy"}[1]']
  assert isinstance(expanded[4], DataError) and 'no images' in str(expanded[4])
  assert expanded[5] == 'x.png'


def test_colour_and_16_bit_photos_read_as_their_grey_levels(tmp_path):
  grey = np.random.default_rng(0).integers(0, 256, (50, 50), dtype=np.uint8)
  Image.fromarray(np.stack([grey] * 3, -1)).save(tmp_path / 'rgb.png')
  Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / 'deep.png')
  Image.fromarray(grey).save(tmp_path / 'grey.png')
  expected = photos.load(str(tmp_path / 'grey.png'), 50)
  np.testing.assert_array_equal(photos.load(str(tmp_path / 'rgb.png'), 50), expected)
  np.testing.assert_array_equal(photos.load(str(tmp_path / 'deep.png'), 50), expected)
